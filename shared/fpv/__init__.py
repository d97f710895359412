"""FPV Training Platform domain package."""
