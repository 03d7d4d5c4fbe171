/** Screens most users open rarely (the Admin's report and privacy requests, the board, the
 * catalog) load on first use, so that the first load carries only the list, the form and the
 * detail. A failed load (offline) says so in the usual words. */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiProblem } from './lib/api';
import { Loading, ProblemBanner } from './ui';

export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  return function LazyScreen(props: P) {
    const [Screen, setScreen] = useState<ComponentType<P> | null>(() => loaded);
    const [failed, setFailed] = useState<unknown>(null);
    useEffect(() => {
      if (Screen) return;
      load().then(
        (c) => {
          loaded = c;
          setScreen(() => c);
        },
        (e) => setFailed(new ApiProblem(0, 'network_error', `The screen's code did not load (${String(e)}).`, null)),
      );
    }, []);
    if (failed) return <ProblemBanner problem={failed} />;
    return Screen ? <Screen {...props} /> : <Loading />;
  };
}
