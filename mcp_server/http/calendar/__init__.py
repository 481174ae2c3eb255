"""A principal's dated tasks as an iCalendar feed that calendar apps subscribe to, by a URL carrying a
revocable feed token (calendar apps cannot send headers)."""
