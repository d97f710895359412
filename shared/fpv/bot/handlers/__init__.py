"""Bot handlers, one module per part of the pilot's journey."""
