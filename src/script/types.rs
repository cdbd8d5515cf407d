//! The custom types scripts hold: networks and containers (images and ingesters are core types).

/// A network created by `network()`.
#[derive(Debug, Clone)]
pub struct NetworkObj {
    pub name: String,
}

/// A container created by `container()`.
#[derive(Debug, Clone)]
pub struct ContainerObj {
    pub id: String,
}
