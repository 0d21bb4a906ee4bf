"""The user's own account: details, data export, deletion."""
