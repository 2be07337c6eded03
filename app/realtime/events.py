"""Socket.IO handlers."""
