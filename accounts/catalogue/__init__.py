"""The vehicle catalogue (车型库): brands (``accounts.models.Brand``, the
table stores' brands use too), their series (车系) and models (车型) with
year, body, seats, energy, displacement or battery and the manufacturer's
guide price (指导价).  Owners, leads, insurance and used cars name cars
through it.

- ``models``: ``CarSeries``, ``CarModel`` and their choices.
- ``sheet``: the spreadsheet layout (one row per model) read by the seed
  migration, the admin import and ``catalogue_seed``; ``data/catalogue.csv``
  is the seed itself.
- ``services``: the import, and resolving what a caller typed ("大众",
  "vw", "朗逸", a model id) to catalogue rows.
- ``selectors``: the pickers' lists and the version that keys their cache.
"""
