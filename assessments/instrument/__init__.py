"""The questionnaire as plain data.

`types` holds what an instrument is (items, options, scales, thresholds, the constructs they
feed); `loader` reads and validates instrument files, with `items` validating one item's
fields; `visibility` works out which items a respondent sees (show_if). Nothing here touches
the ORM: the database only stores which version was published and its content hash.
"""
