// The emscripten loader inside libpg-query, which the package ships without types.
declare module "libpg-query/wasm/libpg-query.js" {
  const factory: unknown;
  export default factory;
}
