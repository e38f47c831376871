"""Delivery: the LR stream a client receives, the bundle sent with it, every bit counted.

* :mod:`stdo.video.codec`: encode LR (or HR) frames with a real codec through PyAV and decode
  them back (the ``degrade.codec`` option; lossless FFV1 when it is off).
* :mod:`stdo.delivery.bundle`: the delivery package of one video, scale, backbone and method (LR
  bitstream, float16 models, STDO's packed patch-to-chunk map, a manifest).
* :mod:`stdo.delivery.bdrate`: the Bjontegaard delta rate, and a single point against a ladder.
* :mod:`stdo.delivery.rate`: the HR rate ladder and the rate table and figure.
* :mod:`stdo.delivery.client`: ``stdo upscale BUNDLE``, the client that plays a bundle back.
"""
