import { ManualClock } from '../../../services/shared/clock';
import { FailureInjector, seededRandom } from '../../../services/shipping/domain/failure-injection';
import { FakeInjectionStore } from './support';

function injector(opts: {
  defaultRate: number;
  store?: FakeInjectionStore;
  clock?: ManualClock;
  seed?: number;
}) {
  const store = opts.store ?? new FakeInjectionStore();
  const clock = opts.clock ?? new ManualClock();
  return {
    store,
    clock,
    injector: new FailureInjector({
      store,
      defaultRate: opts.defaultRate,
      cacheMs: 5000,
      clock,
      random: seededRandom(opts.seed ?? 1),
    }),
  };
}

async function failures(inj: FailureInjector, attempts: number): Promise<number> {
  let failed = 0;
  for (let i = 0; i < attempts; i++) if ((await inj.decide()).fail) failed++;
  return failed;
}

describe('shipping failure injection', () => {
  it('fails every attempt at rate 1 and none at rate 0', async () => {
    expect(await failures(injector({ defaultRate: 1 }).injector, 200)).toBe(200);
    expect(await failures(injector({ defaultRate: 0 }).injector, 200)).toBe(0);
  });

  it('lets the run-time override win over the deployed rate', async () => {
    const { injector: inj } = injector({ defaultRate: 0, store: new FakeInjectionStore(1) });

    const decision = await inj.decide();

    expect(decision).toMatchObject({ fail: true, rate: 1, source: 'override' });
  });

  it('reuses the override for the cache period, then reads it again', async () => {
    const store = new FakeInjectionStore(1);
    const { injector: inj, clock } = injector({ defaultRate: 0, store });
    expect((await inj.decide()).fail).toBe(true);

    store.rate = 0; // switched off by a drill
    clock.advance(4999);
    const cached = await inj.decide();
    clock.advance(1);
    const fresh = await inj.decide();

    expect(cached).toMatchObject({ fail: true, rate: 1 });
    expect(fresh).toMatchObject({ fail: false, rate: 0, source: 'override' });
    expect(store.reads).toBe(2);
  });

  it('falls back to the deployed rate once the override is removed', async () => {
    const store = new FakeInjectionStore(1);
    const { injector: inj, clock } = injector({ defaultRate: 0, store });
    await inj.decide();

    store.rate = undefined;
    clock.advance(5000);

    expect(await inj.decide()).toMatchObject({ fail: false, rate: 0, source: 'default' });
  });

  it('shares one override read among attempts in flight', async () => {
    const store = new FakeInjectionStore(0.5);
    const { injector: inj } = injector({ defaultRate: 0, store });

    await Promise.all(Array.from({ length: 10 }, () => inj.decide()));

    expect(store.reads).toBe(1);
  });

  it('keeps the last known override when the store cannot be read', async () => {
    const store = new FakeInjectionStore(1);
    const { injector: inj, clock } = injector({ defaultRate: 0, store });
    await inj.decide();
    store.get = async () => {
      throw new Error('table unavailable');
    };
    clock.advance(10_000);

    expect(await inj.decide()).toMatchObject({ fail: true, rate: 1 });
  });

  it('draws the same sequence for the same seed', async () => {
    const a = injector({ defaultRate: 0.3, seed: 42 }).injector;
    const b = injector({ defaultRate: 0.3, seed: 42 }).injector;
    const c = injector({ defaultRate: 0.3, seed: 7 }).injector;

    const run = async (inj: FailureInjector) => {
      const out: boolean[] = [];
      for (let i = 0; i < 50; i++) out.push((await inj.decide()).fail);
      return out;
    };
    const [ra, rb, rc] = [await run(a), await run(b), await run(c)];

    expect(ra).toEqual(rb);
    expect(ra).not.toEqual(rc);
  });

  it('fails about the configured share of attempts', async () => {
    const failed = await failures(injector({ defaultRate: 0.3, seed: 123 }).injector, 2000);

    expect(failed).toBeGreaterThan(500);
    expect(failed).toBeLessThan(700);
  });

  it('draws uniform numbers in [0, 1)', () => {
    const random = seededRandom(99);
    const draws = Array.from({ length: 1000 }, () => random());
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});
