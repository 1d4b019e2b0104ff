//! The registry of public services, providers and centres, and its catalogue file format.
