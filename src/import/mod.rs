//! Spreadsheet import (pure, no database): reading files into rows, finding columns,
//! normalising values, and planning what the rows become in the prefix tree given what
//! the database already holds. The service layer loads that, runs the plan in one
//! transaction and journals it.

pub mod columns;
pub mod export;
pub mod plan;
pub mod read;
pub mod records;
pub mod values;

pub use plan::{Existing, ExistingIp, ExistingSubnet, NewIp, NewSubnet, Plan, plan};
pub use records::{At, Fields, Problem, Records, records};
