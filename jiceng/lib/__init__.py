"""Pure helpers with no Django models: calendars, codes, geo math."""
