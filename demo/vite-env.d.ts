// Vite's module types for the demo (CSS imports, import.meta.env).
/// <reference types="vite/client" />
