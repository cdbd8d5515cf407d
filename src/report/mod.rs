//! Output: the terminal table, progress, and the report files.

pub mod cells;
pub mod csv;
pub mod format;
pub mod gobench;
pub mod json;
pub mod markdown;
pub mod outputs;
pub mod plot;
pub mod progress;
pub mod table;
