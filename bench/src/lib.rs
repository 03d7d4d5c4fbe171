//! What the benchmark binaries share: the deterministic synthetic data set of the scale bench
//! (`oms-bench-scale`) and its loader.

pub mod scale_data;
