/** Vite turns `import './x.css'` into a stylesheet of the page. */
declare module '*.css';
