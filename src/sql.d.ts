/**
 * `import PREPARE from './prepare.sql'`: a .sql file next to the code, imported as its text. esbuild inlines it
 * (loader '.sql': 'text' in esbuild.mjs); for tsc's output in out/, scripts/compile-sql.mjs writes it as a module.
 */
declare module '*.sql' {
  const text: string;
  export default text;
}
