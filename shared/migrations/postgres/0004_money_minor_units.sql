-- Amounts keep exactly their currency's minor units: 0 (JPY), 2 (EUR) or 3 (KWD, BHD, ...).
-- numeric(16, 2) rounded a 3-decimal amount; numeric(16, 3) holds every amount the API accepts
-- (up to 1,000,000,000,000 with 3 decimals) exactly, and the store gives each amount back at its
-- currency's scale.
ALTER TABLE opportunities ALTER COLUMN arr_amount TYPE numeric(16, 3);
