/// Why BFT consensus cannot start or run.
#[derive(Debug, thiserror::Error)]
pub enum BftError {
    /// The chain spec's validator set is unusable.
    #[error("invalid validator set: {0}")]
    Spec(String),
    /// The evidence log cannot be read or written.
    #[error("evidence log: {0}")]
    Evidence(String),
    /// Malachite failed to start.
    #[error("consensus engine: {0}")]
    Engine(String),
}
