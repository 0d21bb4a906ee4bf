"""Applications and matches (応募・マッチング): apply, review, confirm, invite, talk, attendance."""
