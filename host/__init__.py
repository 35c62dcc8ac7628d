"""blurgauge.host: the host side: the register driver, the transports, the backends, the ``Accelerator``
API and the ``blurgauge`` command line."""
