//! State and service fees and the exemption rule language.
