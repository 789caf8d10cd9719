//! Authentication policies as an organization's admins manage them: the policies and their
//! settings (`service.rs`), moving accounts between them (`members.rs`), the simulator that
//! says who a change would stop (`simulate.rs`), and the guard that keeps every admin from
//! being locked out, with the per-provider SSO switch the policies took over (`guard.rs`).

mod guard;
mod members;
mod service;
mod simulate;

pub use guard::idp_switch;
pub use members::{MAX_MOVE, MoveOutcome, MoveReport};
pub use service::{NewPolicy, Policies, PolicyPatch, PolicySummary};
pub use simulate::{Proposal, SIMULATION_LIST, Simulated, SimulationReport};
