//! A TCP load balancer for the replica tests: round robin over the backends that accept a
//! connection (a dead replica is skipped), bytes copied both ways untouched, so mutual TLS
//! ends at the replica, as with a real TCP load balancer in front of a node.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

pub struct Balancer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Balancer {
    /// Listen on `listen` (port 0: any) and spread connections over `backends`.
    pub async fn start(listen: SocketAddr, backends: Vec<SocketAddr>) -> Balancer {
        let listener = TcpListener::bind(listen).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let backends = Arc::new(backends);
        let next = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let (backends, next) = (backends.clone(), next.clone());
                tokio::spawn(async move {
                    let start = next.fetch_add(1, Ordering::Relaxed);
                    for k in 0..backends.len() {
                        let b = backends[(start + k) % backends.len()];
                        let Ok(Ok(mut out)) =
                            tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(b))
                                .await
                        else {
                            continue;
                        };
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                        return;
                    }
                });
            }
        });
        Balancer { addr, task }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
