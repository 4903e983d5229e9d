//! The screen's size limit, which both the state (whether anything but a notice is
//! shown) and the drawing (the notice itself) go by, so neither reaches into the other.

/// The smallest screen carve draws on: the NOC laptop's 80x24.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// Whether a screen of `(width, height)` is smaller than carve draws on.
pub fn too_small((width, height): (u16, u16)) -> bool {
    width < MIN_SIZE.0 || height < MIN_SIZE.1
}
