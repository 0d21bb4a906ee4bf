"""Regional issues and collaboration projects (地域課題・協働事業): posting, lifecycle, evaluation, proposals."""
