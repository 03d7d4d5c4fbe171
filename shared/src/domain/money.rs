//! Money as a decimal amount and an ISO 4217 currency, never a float.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Active ISO 4217 currency codes with their minor units.
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UZS", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// How many decimals a currency's amounts have (`None` for an unknown code).
pub fn minor_units(currency: &str) -> Option<u32> {
    CURRENCIES.iter().find(|(c, _)| *c == currency).map(|(_, units)| *units)
}

/// Every accepted currency code with its minor units (the OpenAPI description states them).
pub fn currencies() -> &'static [(&'static str, u32)] {
    CURRENCIES
}

/// The largest amount accepted (fits `numeric(16, 2)` with room to spare).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// An amount of money in one currency, as the API carries it: `{ "amount": "125000.00", "currency": "EUR" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Decimal string, at most the currency's minor units of fraction digits, not negative.
    #[schema(value_type = String, example = "125000.00")]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// ISO 4217 code, upper case.
    #[schema(example = "EUR")]
    pub currency: String,
}

impl Money {
    /// An amount as a database gives it back, at its currency's scale: a column with a fixed
    /// scale returns `5.000` for 5 yen, which must read as `5` again (or a later patch that
    /// sends it back would be refused for its decimals).
    pub fn from_stored(mut amount: Decimal, currency: String) -> Money {
        if let Some(units) = minor_units(&currency)
            && amount.round_dp(units) == amount
        {
            amount.rescale(units);
        }
        Money { amount, currency }
    }

    /// Parses an amount string and currency code, reporting each failing part.
    pub fn parse(amount: Option<&str>, currency: Option<&str>) -> Result<Money, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let minor_units = match currency {
            None => {
                errors.push(("currency", "is required".to_owned()));
                None
            }
            Some(code) => match minor_units(code) {
                Some(units) => Some(units),
                None => {
                    errors.push((
                        "currency",
                        "must be an ISO 4217 currency code such as EUR or USD".to_owned(),
                    ));
                    None
                }
            },
        };
        let amount = match amount {
            None => {
                errors.push(("amount", "is required".to_owned()));
                None
            }
            Some(text) => {
                let well_formed = !text.is_empty()
                    && text.chars().all(|c| c.is_ascii_digit() || c == '.')
                    && text.chars().filter(|c| *c == '.').count() <= 1
                    && !text.starts_with('.')
                    && !text.ends_with('.');
                match text.parse::<Decimal>() {
                    Ok(value) if well_formed => {
                        if value > Decimal::from(MAX_AMOUNT) {
                            errors.push(("amount", format!("must be at most {MAX_AMOUNT}")));
                            None
                        } else if minor_units.is_some_and(|units| value.scale() > units) {
                            errors.push((
                                "amount",
                                format!("must have at most {} decimal places", minor_units.unwrap_or(0)),
                            ));
                            None
                        } else {
                            Some(value)
                        }
                    }
                    _ => {
                        errors.push((
                            "amount",
                            "must be a non-negative decimal string such as \"125000.00\"".to_owned(),
                        ));
                        None
                    }
                }
            }
        };
        match (amount, currency, errors.is_empty()) {
            (Some(amount), Some(currency), true) => {
                let units = minor_units.unwrap_or(2);
                let mut amount = amount;
                amount.rescale(units);
                Ok(Money {
                    amount,
                    currency: currency.to_owned(),
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_normalised_to_the_currency_minor_units() {
        let money = Money::parse(Some("125000"), Some("EUR")).unwrap();
        assert_eq!(money.amount.to_string(), "125000.00");
        assert_eq!(Money::parse(Some("5"), Some("JPY")).unwrap().amount.to_string(), "5");
    }

    #[test]
    fn stored_amounts_come_back_at_their_currency_scale() {
        let dec = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(Money::from_stored(dec("5.000"), "JPY".into()).amount.to_string(), "5");
        assert_eq!(
            Money::from_stored(dec("125000.000"), "EUR".into()).amount.to_string(),
            "125000.00"
        );
        assert_eq!(
            Money::from_stored(dec("1.234"), "KWD".into()).amount.to_string(),
            "1.234"
        );
        assert_eq!(Money::from_stored(dec("7"), "EUR".into()).amount.to_string(), "7.00");
        // Nothing is lost: a value with more decimals than its currency keeps them.
        assert_eq!(
            Money::from_stored(dec("1.005"), "EUR".into()).amount.to_string(),
            "1.005"
        );
    }

    #[test]
    fn bad_amounts_and_currencies_are_reported_together() {
        let errors = Money::parse(Some("-1"), Some("XXX")).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["currency", "amount"]);
        assert!(Money::parse(Some("1.234"), Some("EUR")).is_err());
        assert!(Money::parse(Some("1e5"), Some("EUR")).is_err());
        assert!(Money::parse(Some("10.5"), Some("JPY")).is_err());
        assert!(Money::parse(None, Some("EUR")).is_err());
    }
}
