//! The operations of the spec that the generator cannot express, written by hand.

pub mod logos;
pub mod search_users;
