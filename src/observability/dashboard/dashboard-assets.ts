import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';

export interface DashboardAsset {
  contentType: string;
  body: Buffer;
}

const STATIC_DIR = join(__dirname, 'static');

/** The page, its script and stylesheet, and Chart.js from its npm package: read once, served from memory. */
@Injectable()
export class DashboardAssets {
  private readonly assets = new Map<string, DashboardAsset>([
    ['index.html', asset('text/html; charset=utf-8', join(STATIC_DIR, 'index.html'))],
    ['app.js', asset('text/javascript; charset=utf-8', join(STATIC_DIR, 'app.js'))],
    ['app.css', asset('text/css; charset=utf-8', join(STATIC_DIR, 'app.css'))],
    // chart.js exports only its module entry; its browser build sits beside it.
    [
      'chart.umd.min.js',
      asset('text/javascript; charset=utf-8', join(dirname(require.resolve('chart.js')), 'chart.umd.min.js')),
    ],
  ]);

  get(name: string): DashboardAsset | undefined {
    return this.assets.get(name);
  }
}

function asset(contentType: string, path: string): DashboardAsset {
  return { contentType, body: readFileSync(path) };
}
