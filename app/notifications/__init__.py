"""Notifications: what needs a user's attention, with a live unread count."""
