import type { Random } from './random.ts';

/** The news, weather and traffic text of one situation on the day, as the seed's variants are. */
export interface DayContext {
  news: string;
  weather: string;
  traffic: string;
}

// Written in the seed's voice (Glasgow, the M8). A day draws CONTEXTS_PER_DAY of them.
const POOL: readonly DayContext[] = [
  {
    news: 'Reports are that there has been an accident on the M8 motorway near Glasgow due to icy conditions on the roads. No one has been seriously injured but the road is blocked and traffic is backed up for miles. The police are on the scene and expect to clear it in the next few hours.',
    weather:
      'The forecast for the West of Scotland is cold and wet with icy conditions remaining. Drivers are advised to travel only when necessary, as the cold spell has already led to several accidents across the region.',
    traffic:
      'There is a traffic jam on the M8 motorway near Glasgow after an accident. Expect long delays.',
  },
  {
    news: 'A busy shopping day is expected as retailers offer discounts to lure shoppers back into city centre stores. Many people are expected to travel into Glasgow city centre to take advantage of the offers.',
    weather:
      'The weather is expected to be sunny and dry, with temperatures in the mid-teens set to entice people out and about.',
    traffic:
      'Traffic is expected to be heavy on the M8 near Glasgow today due to an influx of shoppers into the city centre.',
  },
  {
    news: 'Economic conditions are slowly improving for the West of Scotland after a series of targeted investments. Several international companies have opened offices in the Greater Glasgow Area.',
    weather:
      'The forecast for the Greater Glasgow Area today remains overcast with a chance of showers and mild winds.',
    traffic: 'Traffic is expected to be normal today in the Greater Glasgow Area.',
  },
  {
    news: 'Tens of thousands of fans are expected at Hampden Park this evening for the cup final, with fan zones open in the city centre from the afternoon.',
    weather: 'A dry evening is forecast, with light winds and temperatures around ten degrees.',
    traffic:
      'Road closures are in place around Hampden Park from 4pm. Expect heavy congestion on routes to the south side after the match.',
  },
  {
    news: 'Storm warnings have been issued for the west coast, with gusts of up to 70 mph expected. Several ferry crossings have been cancelled and trains are running at reduced speed.',
    weather:
      'An amber warning for wind and heavy rain is in force until midnight. Surface water and spray will make driving conditions difficult.',
    traffic:
      'The Erskine Bridge is closed to high-sided vehicles and flooding is reported on the A82. Journeys are taking much longer than usual.',
  },
  {
    news: 'Overnight roadworks on the Kingston Bridge have overrun into the morning peak, the roads authority has confirmed. Lane restrictions are expected to remain until lunchtime.',
    weather: 'A mild, grey day with patchy drizzle clearing by the afternoon.',
    traffic:
      'Lane closures on the Kingston Bridge are causing queues on the M8 in both directions and on the approaches to the city centre.',
  },
  {
    news: 'A major music festival opens on Glasgow Green today, with more than 40,000 visitors expected over the weekend.',
    weather:
      'Warm sunshine is forecast, with highs of 24 degrees and a slight chance of an evening thunderstorm.',
    traffic:
      'Expect heavy traffic around Glasgow Green and the east end, with diversions around the festival site.',
  },
  {
    news: 'The city council has announced new cycle lanes for the west end, with consultation meetings starting next week.',
    weather: 'Bright spells and scattered showers, with a fresh breeze from the west.',
    traffic:
      'Traffic is flowing freely across Glasgow this morning with no major incidents reported.',
  },
];

export const CONTEXTS_PER_DAY = 3;

/** The day's situations: distinct entries of the pool, in a seeded order. */
export function dayContexts(random: Random): DayContext[] {
  const indices = POOL.map((_, i) => i);
  for (let i = indices.length - 1; i > 0; i -= 1) {
    const j = random.int(i + 1);
    [indices[i], indices[j]] = [indices[j] as number, indices[i] as number];
  }
  return indices.slice(0, CONTEXTS_PER_DAY).map(i => POOL[i] as DayContext);
}
