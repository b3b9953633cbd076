// .html files are bundled as text (wrangler's default module rules; the test runtime does the same).
declare module "*.html" {
  const text: string;
  export default text;
}
