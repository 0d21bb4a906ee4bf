"""The matcher (issue 5): suggestions between issues and volunteers or groups, explained; bulk loading of records."""
