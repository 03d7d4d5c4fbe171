//! Application services: the sequences every entry point runs the same way. The HTTP handlers
//! and the event consumers parse their input, ask the domain's rules, and hand the change to a
//! service here, which loads the current state, writes with optimistic concurrency, retries a
//! lost race, and after the commit writes the cache through and publishes the events.

pub mod opportunity_writes;
