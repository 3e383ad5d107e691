// Placeholder; the real CLI lands with the enrichment engine.
console.log('flowlens: not yet');
