//! What the node's two swarms build alike: the transport stack, and a listener that has its
//! address before the swarm's task starts.

use std::time::Duration;

use futures_util::StreamExt;
use libp2p::{
    Multiaddr, Swarm, SwarmBuilder, identity::Keypair, noise, swarm::NetworkBehaviour,
    swarm::SwarmEvent, tcp, yamux,
};

use crate::NetworkError;

/// Connections that no protocol keeps alive close after this.
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a new swarm may take for its listener to report its address.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);

/// A swarm of `behaviour` on noise-encrypted, yamux-multiplexed TCP under `keypair`, listening
/// on `listen` with its address known. Returns the events that arrived while it waited, for
/// the swarm's task to handle first.
pub(crate) async fn listening<B: NetworkBehaviour>(
    keypair: &Keypair,
    behaviour: B,
    listen: &Multiaddr,
) -> Result<(Swarm<B>, Vec<SwarmEvent<B::ToSwarm>>), NetworkError> {
    let mut swarm = SwarmBuilder::with_existing_identity(keypair.clone())
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(|e| NetworkError::Setup(format!("transport: {e}")))?
        .with_behaviour(|_| behaviour)
        .map_err(|never| match never {})?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build();
    let failed = |reason: String| NetworkError::Listen { addr: listen.clone(), reason };
    swarm.listen_on(listen.clone()).map_err(|e| failed(e.to_string()))?;
    let mut early = Vec::new();
    let waiting = async {
        while swarm.listeners().next().is_none() {
            match swarm.select_next_some().await {
                SwarmEvent::ListenerClosed { reason, .. } => {
                    return Err(match reason {
                        Ok(()) => "listener closed".to_owned(),
                        Err(e) => e.to_string(),
                    });
                }
                SwarmEvent::ListenerError { error, .. } => return Err(error.to_string()),
                event => early.push(event),
            }
        }
        Ok(())
    };
    tokio::time::timeout(LISTEN_TIMEOUT, waiting)
        .await
        .map_err(|_| failed("no listen address reported".into()))?
        .map_err(failed)?;
    Ok((swarm, early))
}
