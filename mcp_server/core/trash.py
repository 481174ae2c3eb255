"""How long a deleted task stays restorable in the trash (--trash-days) before it is purged.

Plain constants, so that reading the settings does not load the domain models."""

TRASH_DAYS_DEFAULT = 30
TRASH_DAYS_MAX = 3650
