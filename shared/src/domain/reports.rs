//! The pipeline report: counts and annual recurring revenue by status, by priority and by both,
//! summed per currency (amounts in different currencies are never added together).
//!
//! The database answers one aggregate statement grouped by status, priority and currency (no
//! `GROUPING SETS`: SQLite has none); every other figure is folded here from those cells, which
//! is exact because the cells partition the opportunities. Sums are decimals with checked
//! addition: an overflow is an error, never a wrong figure.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::lifecycle::Status;
use crate::domain::money::Money;
use crate::domain::opportunity::Priority;

/// Which opportunities the report counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PipelineFilters {
    /// Created at or after.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_from: Option<OffsetDateTime>,
    /// Created before.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_to: Option<OffsetDateTime>,
    /// Only this owner's opportunities (a user id, `sub`).
    pub owner_id: Option<String>,
    /// Only this customer's opportunities.
    pub customer_id: Option<Uuid>,
}

/// One cell of the aggregate statement: the opportunities of one status, priority and currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineCell {
    /// Status.
    pub status: Status,
    /// Priority.
    pub priority: Priority,
    /// ISO 4217 code.
    pub currency: String,
    /// How many opportunities.
    pub count: i64,
    /// Their annual recurring revenue summed, in thousandths of the currency unit (an integer).
    pub arr_thousandths: Decimal,
}

/// Why the cells could not be folded into a report.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReportError {
    /// A sum does not fit a decimal (more than 28 digits).
    #[error("the pipeline report overflowed while summing {0}")]
    Overflow(&'static str),
    /// A cell's sum is not a whole number of thousandths (the database gave something else).
    #[error("the pipeline report got a sum that is not in thousandths: {0}")]
    NotThousandths(Decimal),
}

/// Counts and revenue of one group of opportunities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Figures {
    /// How many opportunities.
    pub count: i64,
    /// Annual recurring revenue, one entry per currency, sorted by currency (empty when none).
    pub arr: Vec<Money>,
}

/// Figures of one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusFigures {
    /// Status.
    pub status: Status,
    /// How many opportunities.
    pub count: i64,
    /// Revenue per currency.
    pub arr: Vec<Money>,
}

/// Figures of one priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PriorityFigures {
    /// Priority.
    pub priority: Priority,
    /// How many opportunities.
    pub count: i64,
    /// Revenue per currency.
    pub arr: Vec<Money>,
}

/// Figures of one status and priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusPriorityFigures {
    /// Status.
    pub status: Status,
    /// Priority.
    pub priority: Priority,
    /// How many opportunities.
    pub count: i64,
    /// Revenue per currency.
    pub arr: Vec<Money>,
}

/// `GET /v1/reports/pipeline`: every status and priority is listed, zero counts included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PipelineReport {
    /// The filters applied.
    pub filters: PipelineFilters,
    /// When the report was computed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: OffsetDateTime,
    /// All counted opportunities.
    pub total: Figures,
    /// Per status, in lifecycle order.
    pub by_status: Vec<StatusFigures>,
    /// Per priority, low to critical.
    pub by_priority: Vec<PriorityFigures>,
    /// Per status and priority.
    pub by_status_priority: Vec<StatusPriorityFigures>,
    /// The same figures per currency, for the CSV form (a group's count split by currency).
    #[serde(skip)]
    rows: Vec<CsvRow>,
}

/// One line of the CSV form.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CsvRow {
    dimension: &'static str,
    status: Option<Status>,
    priority: Option<Priority>,
    /// `None`: the group is empty (count 0, no revenue).
    currency: Option<Money>,
    count: i64,
}

/// A group being summed: its count and, per currency, its count and thousandths.
#[derive(Debug, Default, Clone)]
struct Sum {
    count: i64,
    per_currency: BTreeMap<String, (i64, Decimal)>,
}

impl Sum {
    fn add(&mut self, cell: &PipelineCell) -> Result<(), ReportError> {
        self.count = self
            .count
            .checked_add(cell.count)
            .ok_or(ReportError::Overflow("counts"))?;
        let entry = self
            .per_currency
            .entry(cell.currency.clone())
            .or_insert((0, Decimal::ZERO));
        entry.0 = entry.0.checked_add(cell.count).ok_or(ReportError::Overflow("counts"))?;
        entry.1 = entry
            .1
            .checked_add(cell.arr_thousandths)
            .ok_or(ReportError::Overflow("revenue"))?;
        Ok(())
    }

    /// The revenue per currency as money at each currency's scale, sorted by currency.
    fn money(&self) -> Result<Vec<(Money, i64)>, ReportError> {
        self.per_currency
            .iter()
            .map(|(currency, (count, thousandths))| {
                if thousandths.fract() != Decimal::ZERO {
                    return Err(ReportError::NotThousandths(*thousandths));
                }
                let amount = thousandths
                    .checked_div(Decimal::ONE_THOUSAND)
                    .ok_or(ReportError::Overflow("revenue"))?;
                Ok((Money::from_stored(amount.normalize(), currency.clone()), *count))
            })
            .collect()
    }

    fn figures(&self) -> Result<Figures, ReportError> {
        Ok(Figures {
            count: self.count,
            arr: self.money()?.into_iter().map(|(m, _)| m).collect(),
        })
    }

    fn csv_rows(
        &self,
        dimension: &'static str,
        status: Option<Status>,
        priority: Option<Priority>,
    ) -> Result<Vec<CsvRow>, ReportError> {
        let money = self.money()?;
        if money.is_empty() {
            return Ok(vec![CsvRow {
                dimension,
                status,
                priority,
                currency: None,
                count: 0,
            }]);
        }
        Ok(money
            .into_iter()
            .map(|(m, count)| CsvRow {
                dimension,
                status,
                priority,
                currency: Some(m),
                count,
            })
            .collect())
    }
}

/// Where a status stands in [`Status::ALL`] (every status is in it).
fn status_index(status: Status) -> usize {
    Status::ALL.iter().position(|s| *s == status).unwrap_or(0)
}

/// Where a priority stands in [`Priority::ALL`].
fn priority_index(priority: Priority) -> usize {
    Priority::ALL.iter().position(|p| *p == priority).unwrap_or(0)
}

impl PipelineReport {
    /// Folds the aggregate cells into every figure of the report.
    pub fn from_cells(
        filters: PipelineFilters,
        generated_at: OffsetDateTime,
        cells: &[PipelineCell],
    ) -> Result<PipelineReport, ReportError> {
        let mut total = Sum::default();
        let mut by_status = vec![Sum::default(); Status::ALL.len()];
        let mut by_priority = vec![Sum::default(); Priority::ALL.len()];
        let mut by_both = vec![Sum::default(); Status::ALL.len() * Priority::ALL.len()];
        for cell in cells {
            let s = status_index(cell.status);
            let p = priority_index(cell.priority);
            total.add(cell)?;
            by_status[s].add(cell)?;
            by_priority[p].add(cell)?;
            by_both[s * Priority::ALL.len() + p].add(cell)?;
        }
        let mut rows = total.csv_rows("total", None, None)?;
        let mut status_figures = Vec::new();
        for status in Status::ALL {
            let sum = &by_status[status_index(status)];
            let f = sum.figures()?;
            rows.extend(sum.csv_rows("status", Some(status), None)?);
            status_figures.push(StatusFigures {
                status,
                count: f.count,
                arr: f.arr,
            });
        }
        let mut priority_figures = Vec::new();
        for priority in Priority::ALL {
            let sum = &by_priority[priority_index(priority)];
            let f = sum.figures()?;
            rows.extend(sum.csv_rows("priority", None, Some(priority))?);
            priority_figures.push(PriorityFigures {
                priority,
                count: f.count,
                arr: f.arr,
            });
        }
        let mut both_figures = Vec::new();
        for status in Status::ALL {
            for priority in Priority::ALL {
                let sum = &by_both[status_index(status) * Priority::ALL.len() + priority_index(priority)];
                let f = sum.figures()?;
                rows.extend(sum.csv_rows("status_priority", Some(status), Some(priority))?);
                both_figures.push(StatusPriorityFigures {
                    status,
                    priority,
                    count: f.count,
                    arr: f.arr,
                });
            }
        }
        Ok(PipelineReport {
            filters,
            generated_at,
            total: total.figures()?,
            by_status: status_figures,
            by_priority: priority_figures,
            by_status_priority: both_figures,
            rows,
        })
    }

    /// The same figures as CSV (RFC 4180, CRLF line ends): `dimension,status,priority,currency,
    /// count,arr_amount`, one line per group and currency, where `count` is the group's
    /// opportunities in that currency (a group's lines add up to its count); an empty group is
    /// one line with count 0 and empty currency and amount. No value can hold a comma, a quote
    /// or a line break (enumerations, ISO codes, numbers), so none is quoted.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("dimension,status,priority,currency,count,arr_amount\r\n");
        for row in &self.rows {
            let (currency, amount) = row.currency.as_ref().map_or((String::new(), String::new()), |m| {
                (m.currency.clone(), m.amount.to_string())
            });
            out.push_str(&format!(
                "{},{},{},{},{},{}\r\n",
                row.dimension,
                row.status.map_or("", Status::as_str),
                row.priority.map_or("", Priority::as_str),
                currency,
                row.count,
                amount
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(status: Status, priority: Priority, currency: &str, count: i64, thousandths: i64) -> PipelineCell {
        PipelineCell {
            status,
            priority,
            currency: currency.into(),
            count,
            arr_thousandths: Decimal::from(thousandths),
        }
    }

    fn report(cells: &[PipelineCell]) -> PipelineReport {
        PipelineReport::from_cells(PipelineFilters::default(), OffsetDateTime::UNIX_EPOCH, cells).unwrap()
    }

    fn money(amount: &str, currency: &str) -> Money {
        Money {
            amount: amount.parse().unwrap(),
            currency: currency.into(),
        }
    }

    #[test]
    fn every_status_and_priority_is_listed_with_zero_counts_included() {
        let r = report(&[]);
        assert_eq!(r.total, Figures { count: 0, arr: vec![] });
        assert_eq!(r.by_status.len(), Status::ALL.len());
        assert_eq!(r.by_priority.len(), Priority::ALL.len());
        assert_eq!(r.by_status_priority.len(), Status::ALL.len() * Priority::ALL.len());
        assert!(r.by_status.iter().all(|s| s.count == 0 && s.arr.is_empty()));
    }

    #[test]
    fn revenue_is_summed_per_currency_and_never_across_currencies_at_each_currencys_scale() {
        let r = report(&[
            cell(Status::Draft, Priority::High, "EUR", 2, 250_000_500),
            cell(Status::Draft, Priority::Low, "EUR", 1, 10),
            cell(Status::Submitted, Priority::High, "JPY", 3, 15_000),
            cell(Status::Draft, Priority::High, "KWD", 1, 1_234),
        ]);
        assert_eq!(r.total.count, 7);
        assert_eq!(
            r.total.arr,
            vec![money("250000.51", "EUR"), money("15", "JPY"), money("1.234", "KWD")]
        );
        assert_eq!(r.total.arr[0].amount.to_string(), "250000.51");
        assert_eq!(r.total.arr[1].amount.to_string(), "15");
        let draft = &r.by_status[0];
        assert_eq!((draft.status, draft.count), (Status::Draft, 4));
        assert_eq!(draft.arr, vec![money("250000.51", "EUR"), money("1.234", "KWD")]);
        let high = r.by_priority.iter().find(|p| p.priority == Priority::High).unwrap();
        assert_eq!(high.count, 6);
        let draft_low = r
            .by_status_priority
            .iter()
            .find(|c| c.status == Status::Draft && c.priority == Priority::Low)
            .unwrap();
        assert_eq!(draft_low.arr, vec![money("0.01", "EUR")]);
        assert_eq!(draft_low.arr[0].amount.to_string(), "0.01");
    }

    #[test]
    fn sums_past_what_a_decimal_holds_are_an_error_not_a_wrong_figure() {
        let huge = PipelineCell {
            arr_thousandths: Decimal::MAX,
            ..cell(Status::Draft, Priority::Low, "EUR", 1, 0)
        };
        let error = PipelineReport::from_cells(
            PipelineFilters::default(),
            OffsetDateTime::UNIX_EPOCH,
            &[huge.clone(), huge],
        )
        .unwrap_err();
        assert_eq!(error, ReportError::Overflow("revenue"));
        let counts = cell(Status::Draft, Priority::Low, "EUR", i64::MAX, 0);
        assert!(
            PipelineReport::from_cells(
                PipelineFilters::default(),
                OffsetDateTime::UNIX_EPOCH,
                &[counts.clone(), counts]
            )
            .is_err()
        );
    }

    #[test]
    fn the_csv_holds_the_same_figures_one_line_per_group_and_currency() {
        let r = report(&[
            cell(Status::Draft, Priority::High, "EUR", 2, 250_000_500),
            cell(Status::Draft, Priority::High, "JPY", 1, 5_000),
        ]);
        let csv = r.to_csv();
        let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines[0], "dimension,status,priority,currency,count,arr_amount");
        assert_eq!(lines[1], "total,,,EUR,2,250000.50");
        assert_eq!(lines[2], "total,,,JPY,1,5");
        assert!(lines.contains(&"status,draft,,EUR,2,250000.50"));
        assert!(lines.contains(&"status,submitted,,,0,"));
        assert!(lines.contains(&"priority,,high,JPY,1,5"));
        assert!(lines.contains(&"status_priority,draft,high,EUR,2,250000.50"));
        assert!(lines.contains(&"status_priority,completed,critical,,0,"));
        // 2 total + (1 empty per other status + 2 for draft) + (3 empty + 2) + (27 empty + 2).
        assert_eq!(lines.len(), 1 + 2 + (6 + 2) + (3 + 2) + (27 + 2));
    }
}
