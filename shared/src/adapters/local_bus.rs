//! The local stand-in for the integration bus: the last change events as the EventBridge bus
//! would deliver them to a subscriber (`GET /_local/integration-events`), in arrival order.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::Value;

use crate::domain::events::{ChangeEvent, integration_event};

/// How many events the local bus keeps (the oldest go first).
pub const KEPT: usize = 1000;

/// The last [`KEPT`] integration events.
#[derive(Debug, Default)]
pub struct LocalBus {
    events: Mutex<VecDeque<Value>>,
}

impl LocalBus {
    /// An empty bus.
    pub fn new() -> Self {
        LocalBus::default()
    }

    /// Puts a change-events queue message on the bus, as the EventBridge Pipe does; a body that
    /// is no change event is not an integration event and is left out.
    pub fn put_message(&self, body: &str) {
        let Ok(change) = serde_json::from_str::<ChangeEvent>(body) else {
            return;
        };
        let event = integration_event(&change, "000000000000", "local");
        if let Ok(mut events) = self.events.lock() {
            if events.len() >= KEPT {
                events.pop_front();
            }
            events.push_back(event);
        }
    }

    /// The events on the bus, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.events
            .lock()
            .map(|e| e.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_events_arrive_in_the_eventbridge_envelope_and_the_oldest_leave_first() {
        let bus = LocalBus::new();
        bus.put_message("not a change event");
        for n in 0..(KEPT + 1) {
            let change = ChangeEvent {
                id: uuid::Uuid::now_v7(),
                event_type: crate::domain::events::ChangeKind::OpportunityUpdated,
                aggregate_id: uuid::Uuid::now_v7(),
                aggregate_version: n as i64 + 1,
                occurred_at: time::OffsetDateTime::now_utc(),
                detail: serde_json::json!({ "status": "draft" }),
            };
            bus.put_message(&serde_json::to_string(&change).unwrap());
        }
        let events = bus.events();
        assert_eq!(events.len(), KEPT);
        assert_eq!(events[0]["detail"]["aggregate_version"], 2, "the first one left");
        assert_eq!(events[0]["detail-type"], "OpportunityUpdated");
        assert_eq!(events[0]["source"], "oms.opportunity-management");
    }
}
