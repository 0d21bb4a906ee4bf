"""Public pages: home, privacy notice, accessibility policy, language choice."""
