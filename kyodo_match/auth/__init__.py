"""Authentication: sign-up, login, logout, password change and reset."""
