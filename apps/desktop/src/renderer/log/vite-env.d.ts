/** Vite's types for what its build understands besides TypeScript: the view imports its log.css. */
/// <reference types="vite/client" />
