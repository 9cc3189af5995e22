//! A TCP forwarder between two nodes that the test controls: it can cut the link (a network
//! partition: open connections are closed, new ones refused) and delay every chunk it
//! forwards.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

#[derive(Default)]
struct State {
    cut: AtomicBool,
    /// Bumped by every cut, so connections opened before it close.
    generation: AtomicU64,
    delay_ms: AtomicU64,
}

/// One direction of dialing: node A connects to `port` instead of node B's address.
pub struct Link {
    pub port: u16,
    state: Arc<State>,
}

impl Link {
    pub fn start(target: SocketAddr) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let state = Arc::new(State::default());
        let shared = state.clone();
        thread::spawn(move || {
            for inbound in listener.incoming() {
                let Ok(inbound) = inbound else { continue };
                if shared.cut.load(Ordering::SeqCst) {
                    continue;
                }
                let Ok(outbound) = TcpStream::connect(target) else { continue };
                let generation = shared.generation.load(Ordering::SeqCst);
                for (from, to) in [
                    (inbound.try_clone(), outbound.try_clone()),
                    (outbound.try_clone(), inbound.try_clone()),
                ] {
                    if let (Ok(from), Ok(to)) = (from, to) {
                        let state = shared.clone();
                        thread::spawn(move || pump(from, to, &state, generation));
                    }
                }
            }
        });
        Link { port, state }
    }

    /// Cuts the link (closing its connections) or heals it.
    pub fn set_cut(&self, cut: bool) {
        if cut {
            self.state.generation.fetch_add(1, Ordering::SeqCst);
        }
        self.state.cut.store(cut, Ordering::SeqCst);
    }

    /// Holds every forwarded chunk this long.
    pub fn set_delay(&self, delay: Duration) {
        self.state.delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, state: &State, generation: u64) {
    let _ = from.set_read_timeout(Some(Duration::from_millis(100)));
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        if state.cut.load(Ordering::SeqCst) || state.generation.load(Ordering::SeqCst) != generation
        {
            break;
        }
        match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                let delay = state.delay_ms.load(Ordering::SeqCst);
                if delay > 0 {
                    thread::sleep(Duration::from_millis(delay));
                }
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
