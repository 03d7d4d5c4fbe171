-- Amounts keep exactly their currency's minor units. SQLite keeps arr_amount as the decimal text
-- it was given, so nothing changes here; the version exists so both dialects stay in step.
UPDATE opportunities SET arr_amount = arr_amount WHERE 1 = 0;
