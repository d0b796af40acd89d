declare module "@vercel/ncc" {
  interface NccOptions {
    cache?: string | false;
    externals?: string[];
    minify?: boolean;
    sourceMap?: boolean;
    license?: string;
    target?: string;
    quiet?: boolean;
    transpileOnly?: boolean;
  }
  interface NccAsset {
    source: string | Buffer;
    permissions?: number;
  }
  interface NccResult {
    code: string;
    map?: string;
    assets: Record<string, NccAsset>;
  }
  export default function ncc(input: string, options?: NccOptions): Promise<NccResult>;
}
