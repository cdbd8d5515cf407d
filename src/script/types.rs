//! The custom types scripts hold: images, networks, containers, ingesters.

use anyhow::{Result, anyhow};
use rhai::Dynamic;

use crate::docker::image::BuiltImage;
use crate::session::ImageRef;

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

pub fn image_ref(value: &Dynamic) -> Result<ImageRef> {
    if let Some(image) = value.clone().try_cast::<BuiltImage>() {
        return Ok(ImageRef::from(&image));
    }
    let tag = value.clone().into_immutable_string().map_err(|_| {
        anyhow!(
            "expected an image from build_image() or an image tag, not {}",
            value.type_name()
        )
    })?;
    Ok(ImageRef {
        name: tag
            .split([':', '/'])
            .rev()
            .nth(1)
            .unwrap_or(&tag)
            .to_string(),
        tag: tag.to_string(),
    })
}
