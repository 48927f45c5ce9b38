//! The codes of the CIN census that cumin's rules name.

/// Reason for closure `RC5`: transferred to another local authority.
pub const RC_TRANSFERRED: u8 = 5;

/// Reason for closure `RC8`: case closed after assessment, no further action (the child
/// was assessed but not found in need).
pub const RC_NO_FURTHER_ACTION: u8 = 8;
