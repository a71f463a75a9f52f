//! Self-test of the conformance world.

#[path = "conformance_world/mod.rs"]
mod conformance_world;

use conformance_world::{Scenario, World};

#[test]
fn every_scenario_builds() {
    for scenario in Scenario::all() {
        let world = World::new(*scenario);
        assert!(!world.verdict().passed(), "{}", scenario.name());
    }
}
