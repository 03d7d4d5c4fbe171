//! The domain: opportunities, their lifecycle and history, customers and skills. It knows nothing
//! of HTTP, Lambda, SQL or AWS.

pub mod attachment;
pub mod catalog;
pub mod dates;
pub mod events;
pub mod history;
pub mod lifecycle;
pub mod money;
pub mod opportunity;
pub mod privacy;
pub mod reports;
pub mod retention;
pub mod rules;
pub mod validation;
