"""blurgauge.host: the host driver and the ``blurgauge`` command line."""
