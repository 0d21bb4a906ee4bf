"""Reference data: areas, regional committees, departments, activity fields and the skill vocabulary."""
