// The print page opened with ?auto=1 prints itself once loaded.
window.addEventListener('load', () => window.print());
